# A circular wipe from `a` to `b` with a soft edge, between 1 s and 3 s.
input a, b;
param softness = 0.05 in 0..0.5;

output wipe(a, b, smoothstep(ramp(1, 3)), direction: circle, softness: softness);
