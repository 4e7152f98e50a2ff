"""The managed local Skyvern server: its controller and dialogs."""
