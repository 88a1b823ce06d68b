"""Compatibility tests against the official global-open-sdk-python 1.7.1 (marker ``official``)."""
