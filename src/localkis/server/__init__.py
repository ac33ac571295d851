"""The ASGI app: thin routes over the wire, store and domain layers."""
