"""The capture protocol for running videos (DOMAIN.md §3.1), as data: what to film and how,
so the video analysis gets clips it can measure."""

from __future__ import annotations

from typing import Final

FILMING_GUIDE: Final[tuple[tuple[str, str], ...]] = (
    ("Views", "Film a side clip (each side separately if you want left and right compared) and "
              "a rear clip: two views at right angles show what one cannot (Souza 2016). A "
              "clip filmed from the front gives the same hip and step-width measures as a rear "
              "one; backstride tells front from rear by whether your face is visible."),
    ("Camera", "Use a tripod or a steady surface: level, fixed, no panning or zooming. Side "
               "clip: the camera points straight across your path; rear clip: straight along "
               "it. Lens at about hip height. Stand the camera far back and zoom 1-2x so your "
               "whole body stays in the frame (less distortion); a tilted rear camera makes "
               "pelvic drop look wrong. Use the same spot next time so clips compare."),
    ("Frame rate", "60 frames per second if your phone offers it (slow motion at 120 or more "
                   "is better still: backstride reads the recording rate phones write into "
                   "slow-motion clips, or give it with --capture-fps). At 30 fps cadence is "
                   "fine, but angles at foot contact are rough and ground contact time cannot "
                   "be measured (it needs 50 fps)."),
    ("Resolution", "At least 960 pixels on the long side (1080p is ideal)."),
    ("Duration", "At least 10 seconds of steady running (about 28 foot contacts at 169 spm); "
                 "20 contacts is the minimum that can be measured. On a treadmill, run 6-10 "
                 "minutes first: form settles after about 6 minutes."),
    ("Scene", "Only you in the frame, in fitted clothes (loose clothes hide the hips and "
              "knees). Start the rear clip with 2 seconds standing still, so your pelvis' "
              "resting tilt can be taken out."),
)


def filming_guide_text() -> str:
    lines = ["How to film your running for backstride", ""]
    for title, text in FILMING_GUIDE:
        lines.append(f"{title}: {text}")
    lines += ["", "Then: backstride analyze CLIP.mp4 --report report.html  (add --annotate "
                  "annotated.mp4 to see what was measured drawn on the clip). A clip that cannot "
                  "give a measure says why, and what to film instead."]
    return "\n".join(lines)
