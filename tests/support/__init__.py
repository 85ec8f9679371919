"""Test support code (fixtures, throwaway servers)."""
