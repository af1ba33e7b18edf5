"""The sender domain."""
