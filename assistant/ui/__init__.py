"""The Streamlit UI of 知財フロント: pages in :mod:`assistant.ui.pages`, shared pieces next to this file.

``app.py`` only wires the pages into one ``st.navigation``; every page is a module whose
``render()`` draws it and which runs ``render()`` when Streamlit executes the file. Heavy objects
(assistant, ticket store) are created once per process in :mod:`assistant.ui.resources`; per-user
state is kept small in ``st.session_state`` (:mod:`.state`).
"""
