# The centre of a 1280x720 `a`, warmed up: brighter, more contrast and
# colour, over a dark grey background.
input a;
param brightness = 0.05 in -1..1;

let centre = crop(a, 320, 180, 640, 360);
let graded = adjust(centre, brightness: brightness, contrast: 1.2, saturation: 1.3);
output over(graded, solid(rgb(32, 32, 32)));
