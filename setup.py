"""Install mmrazor_lite: ``pip install -e ".[tests]"``."""
import os.path as osp
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    """Requirement lines of ``requirements/NAME.txt`` (comments dropped)."""
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def read_version():
    scope = {}
    with open(osp.join(HERE, 'mmrazor_lite', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmrazor_lite',
    version=read_version(),
    description='A lean OpenMMLab-style neural architecture search toolbox '
    '(SPOS, PC-DARTS / DARTS)',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    install_requires=read_requirements('runtime'),
    # the tests check ONNX exports, so "tests" brings "deploy" along
    extras_require={
        'tests': read_requirements('tests') + read_requirements('deploy'),
        'deploy': read_requirements('deploy'),
    },
    license='Apache License 2.0',
    zip_safe=False,
)
