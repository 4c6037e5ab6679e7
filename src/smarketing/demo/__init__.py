"""The demo workspace: Nordwood Kitchens & Furniture, written through the import path."""
