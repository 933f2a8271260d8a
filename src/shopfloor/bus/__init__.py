"""The Unified Namespace: topic names, the message envelope, transports and the embedded broker."""
