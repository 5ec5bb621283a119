# Spin `a` a quarter turn every two seconds about the centre of a
# 1280x720 frame while it shrinks to half size; black shows around it.
input a;
param width = 1280 in 16..8192;
param height = 720 in 16..8192;

let centre = (width, height) / 2;
let shrink = 1 - 0.5 * ease_out(ramp(0, 4));
output affine(a, rotate: 45 * t, scale: shrink, about: centre, outside: black);
