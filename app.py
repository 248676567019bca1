"""知財フロント — the Streamlit entry point. Wiring only: the pages live in ``assistant/ui/pages``.

streamlit run app.py        (or `make run`, which builds the index and migrates the ticket database first)
"""

import streamlit as st

from assistant.ui import navigation, resources

st.set_page_config(page_title="知財フロント", page_icon=":material/support_agent:", layout="wide")
with resources.profiled_run():  # a no-op unless CHIZAI_PROFILE_PATH is set (make load)
    advisor = navigation.start_run()
    navigation.sidebar(advisor)
    navigation.run(advisor)
