"""What the product knows, without widgets. No Qt here."""
