"""The C SDK (spinnframe_kernel.h) and the host engine runtime sources."""
