"""planet_tf: PlaNet in TensorFlow 2 / Keras for TF-Agents."""

import setuptools

# Two pinned stacks, chosen by the Python that installs:
# - Python 3.11: TF 2.15 with its own Keras 2, TFP 0.23, numpy 1 (and Reverb, below).
# - Python 3.12 and 3.13: TF 2.20 (the release with wheels for both), Keras 2 from
#   tf-keras, TFP 0.25, numpy 2.
# tf-agents 0.19.0 (its last release) declares pins of its own that only the 3.11
# stack meets (tensorflow-probability~=0.23.0, pygame==2.1.3, typing-extensions==4.5.0);
# overrides.txt replaces them for 3.12+, where they cannot install (README, Install).
# mujoco 4 breaks dm_control.
_OLD = 'python_version < "3.12"'
_NEW = 'python_version >= "3.12"'
INSTALL_REQUIRES = [
    f'tensorflow==2.15.1; {_OLD}',
    f'tensorflow-probability==0.23.0; {_OLD}',
    f'numpy==1.26.4; {_OLD}',
    f'tensorflow==2.20.0; {_NEW}',
    f'tf-keras==2.20.1; {_NEW}',
    f'tensorflow-probability==0.25.0; {_NEW}',
    f'tensorboard==2.20.0; {_NEW}',
    f'numpy==2.3.5; {_NEW}',
    'tf-agents==0.19.0',
    'dm-control==1.0.50',
    'mujoco==3.17.0',
    'gin-config==0.5.0',
    'absl-py>=1.0',
    'imageio>=2.9',
]

PLOT_REQUIRES = ['matplotlib>=3.7,<3.10']
# Distributed PlaNet (bin/train_distributed, ...): the Reverb release of TF 2.15
# and tf-agents 0.19 (their `reverb` extra). Reverb has no release for Python 3.12+.
REVERB_REQUIRES = [f'dm-reverb==0.14.0; {_OLD}']

setuptools.setup(
    name='planet_tf',
    version='0.2.0',
    description='PlaNet (Hafner et al., 2019) in TensorFlow 2 / Keras for TF-Agents.',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.11,<3.14',
    packages=setuptools.find_packages(include=['planet_tf', 'planet_tf.*']) +
    ['planet_tf.gin_configs'],
    package_dir={'planet_tf.gin_configs': 'gin_configs'},
    package_data={'planet_tf.gin_configs': ['*.gin']},
    install_requires=INSTALL_REQUIRES,
    # The same commands as bin/ in a checkout (`planet-train` is `bin/train`).
    entry_points={'console_scripts': [
        'planet-train = planet_tf.cli.train:run',
        'planet-evaluate = planet_tf.cli.evaluate:run',
        'planet-export = planet_tf.cli.export:run',
        'planet-plot-returns = planet_tf.cli.plot_returns:run',
        'planet-replay-server = planet_tf.cli.replay_server:run',
        'planet-actor = planet_tf.cli.actor:run',
        'planet-learner = planet_tf.cli.learner:run',
        'planet-train-distributed = planet_tf.cli.train_distributed:run',
    ]},
    extras_require={
        # Learning-curve figures (bin/plot_returns).
        'plot': PLOT_REQUIRES,
        # Replay server, actors and learner as separate processes.
        'reverb': REVERB_REQUIRES,
        'test': ['pytest>=7', 'pytest-xdist>=3.5'] + PLOT_REQUIRES + REVERB_REQUIRES,
    },
)
