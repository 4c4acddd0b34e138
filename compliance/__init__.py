"""pipa-audit: audit evidence against Korea's Personal Information Protection Act."""

__version__ = "0.1.0"
