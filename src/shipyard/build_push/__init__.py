"""The build-push action: multi-arch Docker images with the tags users expect."""
