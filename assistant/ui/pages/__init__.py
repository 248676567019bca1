"""One module per page. Streamlit executes the file with ``__name__ == "__main__"``, which calls
``render()``; importing a page module (tests, other pages) draws nothing."""
