"""The version of imgaudit: the one place it is written (``pyproject.toml`` reads it here)."""

TOOL_VERSION = "0.1.0"
