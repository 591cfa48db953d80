"""`flask faq ...`: rebuild the index, measure the search, read the feedback."""

import click
from flask import current_app

from blueprints.faq import bp


@bp.cli.command("reindex")
def reindex():
    """Rebuild the FAQ search index from the content files."""
    from telephony.faq import service_for

    count = service_for(current_app).reindex()
    click.echo(f"FAQ index rebuilt: {count} entries")


@bp.cli.command("eval")
@click.option("--misses", is_flag=True, help="List the queries not found in the top 3.")
def evaluate(misses):
    """Top-1 and top-3 accuracy of the search on the evaluation set, per locale."""
    from telephony.faq import service_for
    from telephony.faq.evaluation import evaluate as run

    scores = run(service_for(current_app))
    click.echo(f"{'locale':8} {'queries':>7} {'top-1':>7} {'top-3':>7}")
    for score in scores:
        click.echo(
            f"{score.locale:8} {score.total:7} {score.ratio(score.top1):7.1%} "
            f"{score.ratio(score.top3):7.1%}"
        )
        if misses:
            for slug, query, found in score.misses:
                click.echo(f"         {query!r}: expected {slug}, got {', '.join(found) or '-'}")


@bp.cli.command("feedback")
def feedback():
    """'Was this helpful?' counts per question."""
    from telephony.faq.feedback import counts

    for row in counts():
        click.echo(f"{row.slug:28} yes {row.helpful:5}  no {row.not_helpful:5}")
