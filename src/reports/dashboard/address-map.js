/*
 * The address map: a lease's addresses laid out on a Hilbert curve, so that neighbouring addresses
 * stay neighbours on screen and every aligned CIDR block is one square (or two side by side).
 * A /16 is 256 × 256 cells of one address each; larger leases put several addresses in a cell.
 */
(function () {
  'use strict';

  /** Cell number d on the curve → [x, y] on a side × side grid (side a power of two). */
  function d2xy(side, d) {
    var x = 0;
    var y = 0;
    var t = d;
    for (var s = 1; s < side; s *= 2) {
      var rx = 1 & Math.floor(t / 2);
      var ry = 1 & (t ^ rx);
      if (ry === 0) {
        if (rx === 1) {
          x = s - 1 - x;
          y = s - 1 - y;
        }
        var swap = x;
        x = y;
        y = swap;
      }
      x += s * rx;
      y += s * ry;
      t = Math.floor(t / 4);
    }
    return [x, y];
  }

  /** [x, y] → cell number on the curve. */
  function xy2d(side, x, y) {
    var d = 0;
    for (var s = side / 2; s >= 1; s /= 2) {
      var rx = (x & s) > 0 ? 1 : 0;
      var ry = (y & s) > 0 ? 1 : 0;
      d += s * s * ((3 * rx) ^ ry);
      if (ry === 0) {
        if (rx === 1) {
          x = s - 1 - x;
          y = s - 1 - y;
        }
        var swap = x;
        x = y;
        y = swap;
      }
    }
    return d;
  }

  function toNumber(address) {
    return address.split('.').reduce(function (n, octet) {
      return n * 256 + Number(octet);
    }, 0);
  }
  function toAddress(n) {
    return [24, 16, 8, 0]
      .map(function (s) {
        return Math.floor(n / Math.pow(2, s)) % 256;
      })
      .join('.');
  }
  function parseCidr(cidr) {
    var parts = cidr.split('/');
    return { start: toNumber(parts[0]), length: Number(parts[1]) };
  }

  /**
   * A layout for a lease prefix: the grid side, how many address bits one cell holds, and the
   * squares an aligned block covers.
   */
  function Layout(leasePrefix) {
    var lease = parseCidr(leasePrefix);
    var bits = 32 - lease.length;
    var cellBits = Math.min(16, bits - (bits % 2));
    this.start = lease.start;
    this.shift = bits - cellBits;
    this.side = Math.pow(2, cellBits / 2);
  }
  Layout.prototype.squares = function (cidr) {
    var block = parseCidr(cidr);
    var cells = Math.max(1, Math.pow(2, 32 - block.length - this.shift));
    var first = Math.floor((block.start - this.start) / Math.pow(2, this.shift));
    var side = Math.pow(2, Math.floor(Math.log2(cells) / 2));
    var out = [];
    for (var c = first; c < first + cells; c += side * side) {
      var p = d2xy(this.side, c);
      out.push([p[0] - (p[0] % side), p[1] - (p[1] % side), side]);
    }
    return out;
  };
  Layout.prototype.addressAt = function (x, y) {
    return this.start + xy2d(this.side, x, y) * Math.pow(2, this.shift);
  };

  /**
   * Draws `blocks` ({ prefix, colour }) of the lease on the canvas, outlines `listed` CIDRs, and
   * answers the layout (for hover lookups).
   */
  function draw(canvas, leasePrefix, blocks, listed) {
    var layout = new Layout(leasePrefix);
    var ctx = canvas.getContext('2d');
    var px = canvas.width / layout.side;
    ctx.fillStyle = '#e3e8ee';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    blocks.forEach(function (block) {
      ctx.fillStyle = block.colour;
      layout.squares(block.prefix).forEach(function (sq) {
        var size = sq[2] * px;
        ctx.fillRect(sq[0] * px, sq[1] * px, size, size);
        if (size >= 8) {
          ctx.strokeStyle = 'rgba(255,255,255,0.85)';
          ctx.lineWidth = 1;
          ctx.strokeRect(sq[0] * px + 0.5, sq[1] * px + 0.5, size - 1, size - 1);
        }
      });
    });
    (listed || []).forEach(function (cidr) {
      ctx.strokeStyle = '#d0021b';
      ctx.lineWidth = 2;
      ctx.setLineDash([4, 3]);
      layout.squares(cidr).forEach(function (sq) {
        ctx.strokeRect(sq[0] * px + 1, sq[1] * px + 1, sq[2] * px - 2, sq[2] * px - 2);
      });
      ctx.setLineDash([]);
    });
    layout.pixelsPerCell = px;
    return layout;
  }

  /** The block (sorted by start, non-overlapping) that holds an address, by binary search. */
  function find(sorted, address) {
    var lo = 0;
    var hi = sorted.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      var b = sorted[mid];
      if (address < b.start) hi = mid - 1;
      else if (address >= b.start + b.size) lo = mid + 1;
      else return b;
    }
    return undefined;
  }

  window.IpleaseAddressMap = {
    draw: draw,
    find: find,
    parseCidr: parseCidr,
    toAddress: toAddress,
    d2xy: d2xy,
    xy2d: xy2d,
  };
})();
