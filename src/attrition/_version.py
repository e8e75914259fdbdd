"""The installed version of attrition."""

__version__ = "0.1.0"
