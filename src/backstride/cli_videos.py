"""`backstride videos`: the clips stored in history (by `import` or `batch`), and their
analyses, as stored or computed again from the stored keypoints."""

from __future__ import annotations

import click

from backstride import workflows
from backstride.adapters.render.text import text_summary
from backstride.cli_common import app_of, emit_json, global_options


@click.group("videos", invoke_without_command=True)
@click.option("--json", "json_out", metavar="FILE|-", help="Write backstride.videos/1 JSON.")
@global_options
@click.pass_context
def videos_group(ctx: click.Context, json_out: str | None) -> None:
    """Your running videos in history: list them, show one."""
    if ctx.invoked_subcommand is not None:
        return
    app = app_of(ctx)
    from backstride.adapters.render.history_json import utc_text, videos_json

    videos = workflows.list_videos(settings=app.settings)
    if json_out is not None:
        emit_json(videos_json(videos), json_out)
    if json_out != "-":
        if not videos:
            app.say("No videos yet: backstride import CLIP.mp4 (or batch a folder of clips).")
        for video in videos:
            cadence = video.cadence_spm
            shown = f"{cadence:.0f} spm" if cadence is not None else "–"
            app.say(f"{video.id:>6}  {utc_text(video.imported_utc):<20}  {video.view:<4}  "
                    f"{video.duration_s:>6.1f} s  {shown:>8}  {video.name}")


@videos_group.command("show")
@click.argument("video_id", type=int)
@click.option("--json", "json_out", metavar="FILE|-", help="Write the clip's analysis JSON.")
@click.option("--reanalyze", is_flag=True,
              help="Measure again from the stored keypoints with this version (no model).")
@click.option("--view", type=click.Choice(["side", "rear", "front"]),
              help="Re-analyse as this view (implies --reanalyze).")
@click.option("--height-m", type=click.FloatRange(0.8, 2.5),
              help="Runner height, for metres (implies --reanalyze).")
@global_options
@click.pass_context
def videos_show(ctx: click.Context, video_id: int, json_out: str | None, reanalyze: bool,
                view: str | None, height_m: float | None) -> None:
    """One clip's analysis."""
    app = app_of(ctx)
    analysis = workflows.stored_video(video_id, settings=app.settings, reanalyze=reanalyze,
                                      view=view, height_m=height_m)  # type: ignore[arg-type]
    if json_out is not None:
        emit_json(analysis, json_out)
    if json_out != "-":
        click.echo(text_summary(analysis, units=app.settings.units))

