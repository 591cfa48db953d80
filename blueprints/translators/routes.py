from blueprints.translators import bp
from htmx import render
from i18n import display_name
from i18n_tools import stats
from security import translator_required


@bp.get("/")
@translator_required
def index():
    """Completeness of every locale, and what is missing, read from the .po files."""
    rows = stats()
    return render("translators/index.html", rows=rows, display_name=display_name)
