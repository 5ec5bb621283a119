# The demo: dissolve from `a` to `b`, a caption over the result and the
# `guest` camera as a picture in picture in the corner (1280x720 inputs).
input a, b, guest;
param mix = 0.5 in 0..1;
param label = "Breaking news";
param inset_x = 880 in 0..1280;

let base = dissolve(a, b, mix);
let captioned = title(base, text: label, size: 40, color: white, x: 40, y: 620, box: #00000080);
output pip(captioned, guest, inset_x, 40, scale: 0.25, border: 3);
