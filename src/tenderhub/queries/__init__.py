"""Read side: views of aggregates for pages, the API and feeds, filtered by who is looking."""
