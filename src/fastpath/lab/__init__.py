"""The built-in lab fleet: Debian 12 hosts booted with systemd-nspawn inside network namespaces."""
