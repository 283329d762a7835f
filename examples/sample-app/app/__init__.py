"""The shipyard sample app: a small web service the example pipelines build and deploy."""

__all__ = ["__version__"]

__version__ = "1.0.0"
