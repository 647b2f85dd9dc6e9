// The public list's map: progressive enhancement only. Without this file (or without
// JavaScript) the list says everything; with it, the appeals of the list page are drawn as
// circles on a Leaflet map, each opening a popup that links to the appeal's page.
"use strict";

document.addEventListener("DOMContentLoaded", drawAppealsMap);
// A filter change swaps the results in place (htmx): draw the new page's appeals.
document.addEventListener("htmx:afterSettle", drawAppealsMap);

function drawAppealsMap() {
  const box = document.getElementById("appeals-map");
  const cards = document.querySelectorAll("#appeal-cards li[data-lat]");
  if (!box || typeof window.L === "undefined" || cards.length === 0) return;
  const L = window.L;
  if (box.dataset.drawn) return;
  box.dataset.drawn = "yes";
  const [minLat, minLon, maxLat, maxLon] = box.dataset.bounds.split(",").map(Number);
  const city = L.latLngBounds([minLat, minLon], [maxLat, maxLon]);
  box.hidden = false;
  box.setAttribute("role", "region");
  box.setAttribute("aria-label", box.dataset.label);
  const map = L.map(box, { maxBounds: city.pad(0.2), minZoom: 9 });
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  } else {
    box.classList.add("no-tiles"); // a plain background: the circles still show where
  }
  const points = [];
  for (const card of cards) {
    const at = L.latLng(Number(card.dataset.lat), Number(card.dataset.lon));
    if (isNaN(at.lat) || isNaN(at.lng)) continue;
    const link = card.querySelector("h3 a");
    const state = card.querySelector(".state");
    // Circles, not image markers: nothing to fetch, and the state's colour from site.css.
    const circle = L.circleMarker(at, { radius: 8, weight: 2, fillOpacity: 0.8,
                                        className: "map-appeal state-" + card.dataset.state });
    const popup = document.createElement("div");
    if (link) {
      const a = document.createElement("a");
      a.href = link.getAttribute("href");
      a.textContent = link.textContent;
      popup.appendChild(a);
    }
    if (state) {
      const p = document.createElement("p");
      p.textContent = state.textContent;
      popup.appendChild(p);
    }
    circle.bindPopup(popup).addTo(map);
    points.push(at);
  }
  if (points.length) {
    map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 16 });
  } else {
    map.fitBounds(city);
  }
}
