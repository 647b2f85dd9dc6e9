// Filing an appeal: progressive enhancement only. Every step works without this file; it adds
// the map pin (Leaflet), live checks that clear a fixed error at once, and photo previews.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  focusFirstError();
  clearFixedErrors();
  setUpMap();
  setUpPhotos();
});

// After a refused step, the keyboard and screen reader start at the first field at fault.
function focusFirstError() {
  const invalid = document.querySelector('#filing-form [aria-invalid="true"]');
  if (invalid && typeof invalid.focus === "function") invalid.focus();
}

// A field marked invalid by the server loses the mark as soon as the browser finds it valid.
function clearFixedErrors() {
  for (const field of document.querySelectorAll('#filing-form [aria-invalid="true"]')) {
    field.addEventListener("input", () => {
      if (!field.checkValidity || !field.checkValidity() || field.value === "") return;
      field.removeAttribute("aria-invalid");
      const message = document.getElementById("e-" + field.name);
      if (message) message.hidden = true;
    });
  }
}

function setUpMap() {
  const box = document.getElementById("place-map");
  const lat = document.getElementById("f-lat");
  const lon = document.getElementById("f-lon");
  if (!box || !lat || !lon || typeof window.L === "undefined") return;
  const L = window.L;
  const [minLat, minLon, maxLat, maxLon] = box.dataset.bounds.split(",").map(Number);
  const bounds = L.latLngBounds([minLat, minLon], [maxLat, maxLon]);
  box.hidden = false;
  const map = L.map(box, { maxBounds: bounds.pad(0.2), minZoom: 9 });
  box.setAttribute("aria-label", box.dataset.label);
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  } else {
    box.classList.add("no-tiles"); // a plain background: the pin still works
  }
  // Icon URLs come from the page (fingerprinted assets), not from Leaflet's path guess.
  const icon = L.icon({
    iconUrl: box.dataset.icon, iconRetinaUrl: box.dataset.icon2x, shadowUrl: box.dataset.shadow,
    iconSize: [25, 41], iconAnchor: [12, 41], popupAnchor: [1, -34], shadowSize: [41, 41],
  });
  let marker = null;
  const status = document.getElementById("pin-status");

  function place(latlng, fromInputs) {
    if (!bounds.contains(latlng)) return;
    if (!marker) {
      marker = L.marker(latlng, { icon, draggable: true, keyboard: true, title: box.dataset.pinLabel,
                                  alt: box.dataset.pinLabel }).addTo(map);
      marker.on("dragend", () => place(marker.getLatLng(), false));
    } else {
      marker.setLatLng(latlng);
    }
    if (!fromInputs) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      if (status) status.textContent = lat.value + ", " + lon.value;
    }
  }

  // L.latLng throws on NaN: read the fields first, a pin only for two numbers in the city.
  function typedPlace() {
    const typedLat = parseFloat(lat.value.replace(",", "."));
    const typedLon = parseFloat(lon.value.replace(",", "."));
    if (isNaN(typedLat) || isNaN(typedLon)) return null;
    const typed = L.latLng(typedLat, typedLon);
    return bounds.contains(typed) ? typed : null;
  }

  const given = typedPlace();
  if (given) {
    map.setView(given, 16);
    place(given, true);
  } else {
    map.fitBounds(bounds);
  }
  map.on("click", (event) => place(event.latlng, false));
  for (const input of [lat, lon]) {
    input.addEventListener("change", () => {
      const typed = typedPlace();
      if (typed) {
        place(typed, true);
        map.panTo(typed);
      }
    });
  }
  const centre = document.getElementById("pin-centre");
  if (centre) {
    centre.hidden = false;
    centre.addEventListener("click", () => place(map.getCenter(), false));
  }
}

function setUpPhotos() {
  const input = document.getElementById("f-photos");
  const list = document.getElementById("photo-previews");
  const live = document.getElementById("photos-live");
  if (!input || !list || !live) return;
  const allowed = input.accept.split(",");
  input.addEventListener("change", () => {
    for (const old of list.querySelectorAll("img")) URL.revokeObjectURL(old.src);
    list.replaceChildren();
    const files = Array.from(input.files || []);
    let problem = "";
    if (files.length > Number(input.dataset.maxCount)) problem = input.dataset.tooMany;
    for (const file of files) {
      if (!allowed.includes(file.type)) problem = problem || input.dataset.wrongType;
      else if (file.size > Number(input.dataset.maxBytes)) problem = problem || input.dataset.tooLarge;
      const item = document.createElement("li");
      if (allowed.includes(file.type)) {
        const image = document.createElement("img");
        image.src = URL.createObjectURL(file);
        image.alt = file.name;
        item.append(image);
      } else {
        item.textContent = file.name;
      }
      list.append(item);
    }
    live.textContent = problem;
    live.hidden = !problem;
    input.setCustomValidity(problem);
    if (problem) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  });
}
