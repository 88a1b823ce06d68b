"""openams: an open, self-hostable implementation of the Antom AMS Checkout Payment API."""

__version__ = "0.1.0"
