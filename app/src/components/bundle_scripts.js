// Loads the browser bundle and hydrates the page (issue 16's navigation goal). Unlike Leptos's own
// hydration script, which is a deferred module and so waits for the whole page to be parsed and
// drawn first, this one runs `async`: the wasm is read, compiled and instantiated while the
// browser is still parsing and laying out the page's rows, and only hydrating waits for the
// document to be complete (DOMContentLoaded: every row, every resolved resource's script).
// Called with the JS glue's and the wasm's URLs.
(function (js, wasm) {
	const parsed = new Promise((resolve) => {
		if (document.readyState === "loading") {
			document.addEventListener("DOMContentLoaded", () => resolve(), { once: true });
		} else {
			resolve();
		}
	});
	import(js)
		.then((mod) => mod.default({ module_or_path: wasm }).then(() => parsed).then(() => mod.hydrate()));
})
