# Scratch harness for the Kaixhin/PlaNet cross-check: opencv-python-headless has
# no GUI, and Kaixhin's env.close() calls cv2.destroyAllWindows(); make it a no-op.
try:
  import cv2
  cv2.destroyAllWindows = lambda: None
except ImportError:
  pass
