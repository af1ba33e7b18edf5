"""The accounting domain."""
