"""Market subjects (市场主体) and the people who act for them."""
