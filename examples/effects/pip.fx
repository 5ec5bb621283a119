# Picture in picture: `guest` at a third of its size in the top-right
# corner of a 1920x1080 `main`, framed by a 4-pixel white border.
input main, guest;
param x = 1240 in 0..1920;
param y = 40 in 0..1080;

output pip(main, guest, x, y, scale: 0.33, border: 4, border_color: white);
