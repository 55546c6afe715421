"""Photon-level BB84 links: SeQUeNCe photons, sifting and our own classical post-processing.

* :mod:`qkdn.photon.sequence_bb84` builds the link on SeQUeNCe and sifts (the only
  module here that imports ``sequence``);
* :mod:`qkdn.photon.postprocessing`, :mod:`qkdn.photon.cascade`,
  :mod:`qkdn.photon.toeplitz` and :mod:`qkdn.photon.distillation` turn sifted frames
  into identical secret keys (pure NumPy/SciPy);
* :mod:`qkdn.photon.pulse_arrays` draws pulse trains' clicks as arrays (same optics model);
* :mod:`qkdn.photon.decoy` and :mod:`qkdn.photon.decoy_distillation` bound the
  single-photon part of decoy-state blocks and size their keys;
* :mod:`qkdn.photon.link` ties them together on the timeline;
* :mod:`qkdn.photon.analytic` gives the expected sifted rate and QBER of the model.
"""
