"""Agent steps per second of each pixel task, rendering included, as JSON.

  python benchmarks/env_throughput.py --steps=200 [--tasks=cheetah_run,walker_walk]

Actions are uniform random; each agent step runs the task's action repeat in the
simulator and renders one 64x64 frame (MUJOCO_GL defaults to egl).
"""

import json
import os
import time

from absl import app
from absl import flags
import numpy as np

from planet_tf import envs

flags.DEFINE_integer('steps', 200, 'Agent steps timed per task (after a reset).')
flags.DEFINE_list('tasks', sorted(envs.TASKS), 'Tasks to time.')
flags.DEFINE_integer('image_size', 64, 'Rendered frame size.')
FLAGS = flags.FLAGS


def _time_task(task_name, steps, image_size):
  env = envs.load(task_name, image_size=image_size, seed=0)
  spec = env.action_spec()
  rng = np.random.default_rng(0)
  env.reset()
  env.step(np.zeros(spec.shape, np.float32))  # First render creates the context.
  seconds, done = 0.0, 0
  while done < steps:
    action = rng.uniform(spec.minimum, spec.maximum).astype(np.float32)
    start = time.perf_counter()
    time_step = env.step(action)
    seconds += time.perf_counter() - start
    done += 1
    if time_step.is_last():
      env.reset()  # Not timed: a reset is no agent step.
      env.step(np.zeros(spec.shape, np.float32))
  env.close()
  return {
      'action_repeat': env.action_repeat,
      'agent_steps_per_s': steps / seconds,
      'simulator_steps_per_s': steps * env.action_repeat / seconds,
      'ms_per_agent_step': 1000 * seconds / steps,
  }


def main(_):
  results = {
      'mujoco_gl': os.environ.get('MUJOCO_GL'), 'image_size': FLAGS.image_size,
      'steps': FLAGS.steps, 'cpu_count': os.cpu_count(),
      'tasks': {t: _time_task(t, FLAGS.steps, FLAGS.image_size)
                for t in FLAGS.tasks},
  }
  print(json.dumps(results, indent=2))


if __name__ == '__main__':
  app.run(main)
