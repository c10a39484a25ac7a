"""Setting a seller up (vendors, products, warehouses, bills of materials) from the settings
tabs of the review sheet or from CSV files."""
