"""Review sheets: the pure layout shared by both adapters, the .xlsx workbook and Google Sheets."""
