import cv2
import numpy as np
import torch


def make_grid(tensor, nrow=8, padding=2):
  """[N, C, H, W] -> [C, rows*(H+p)+p, nrow*(W+p)+p], like torchvision's (pad value 0)."""
  n, c, h, w = tensor.shape
  ncol = min(nrow, n)
  rows = (n + ncol - 1) // ncol
  grid = torch.zeros(c, rows * (h + padding) + padding, ncol * (w + padding) + padding, dtype=tensor.dtype)
  for i in range(n):
    r, k = divmod(i, ncol)
    y, x = r * (h + padding) + padding, k * (w + padding) + padding
    grid[:, y:y + h, x:x + w] = tensor[i]
  return grid


def save_image(tensor, path):
  img = (tensor.detach().cpu().numpy().transpose(1, 2, 0).clip(0, 1) * 255).astype(np.uint8)[:, :, ::-1]
  cv2.imwrite(path, img)
