# Fade to black (or any colour) between 3 s and 4 s, then hold.
input a;
param to = black;

output fade(a, ramp(3, 4), color: to);
