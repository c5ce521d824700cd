"""Stand-in for OpenCV, which the harness's venv need not install.

Kaixhin/PlaNet's env.py imports cv2 at its top, for resizing rendered frames
and for its window; the harness imports env.py only for
`preprocess_observation_`, which does not touch cv2. Any use of it fails loudly.
"""


def __getattr__(name):
  raise ImportError(f'cv2.{name}: OpenCV is not installed; the world-model '
                    'harness never renders or resizes with Kaixhin/PlaNet.')
