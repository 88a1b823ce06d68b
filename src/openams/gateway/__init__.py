"""The provider side: the AMS HTTP API, hosted pages, notifications and console."""
