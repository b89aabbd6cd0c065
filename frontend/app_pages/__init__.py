"""The studio's pages, one file per page, run by st.navigation in frontend/app.py."""
