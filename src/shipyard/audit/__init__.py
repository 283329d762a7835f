"""The audit action: one security gate over dependencies, code, secrets, images and IaC."""
