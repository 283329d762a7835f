"""The deploy action: zero-downtime releases of a container image over SSH, with rollback."""
