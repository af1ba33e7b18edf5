"""The tracker domain."""
