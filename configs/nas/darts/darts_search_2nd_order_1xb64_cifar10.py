# DARTS search on CIFAR-10, second order: the architecture gradient goes
# through one virtual weight step, with the finite-difference
# Hessian-vector product (eps = 0.01 / ||grad||). About 2-3x the cost of
# a first-order step.
_base_ = ['./darts_search_1xb64_cifar10.py']

model = dict(unroll=True, unroll_eps=0.01)
