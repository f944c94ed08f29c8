"""Output: analysis JSON in the contract's named units, text summaries and the HTML report."""
