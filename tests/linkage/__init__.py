"""Tests of the ELF analyzer and loader emulation."""
