"""The ``add_*`` methods of what TensorBoard shows as it is: text, images, figures, boxes, audio, video, meshes
and the projector's embeddings. A part of :class:`~tbwriter.SummaryWriter` (see :mod:`~tbwriter.writing.calls`).

    w.add_image("sample", hwc_uint8, step, dataformats="HWC")
    w.add_audio("tone", np.sin(np.arange(44100) / 7), step)

Each method checks its input and appends one event (``add_embedding`` writes the projector's files instead,
:mod:`~tbwriter.writing.projector`). The summaries modules import numpy and protobuf, so they are imported on
first use: ``import tbwriter`` stays fast for those who only log scalars.
"""
from __future__ import annotations

import warnings

from tbwriter.errors import WriterWarning
from tbwriter.writing import deferred
from tbwriter.writing.calls import MAKER_STACKLEVEL, SummaryCalls, call_name, names_errors
from tbwriter.writing.values import check_tag, to_step


class MediaCalls(SummaryCalls):
    """Text, images, figures, boxes, audio, video, meshes and embeddings: a part of ``SummaryWriter``."""

    @names_errors
    def add_text(self, tag: str, text_string: str, global_step: int | None = None,
                 walltime: float | None = None) -> None:
        """Log markdown under exactly ``tag``: ``w.add_text("notes", "**lr** = 0.1", step)``.

        Args:
            tag: the text's name (torch appends ``/text_summary``; we do not).
            text_string: markdown.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import text

        self._write(tag, global_step, walltime, text.text_value, tag, text_string)

    @names_errors
    def add_image(self, tag: str, img_tensor: object, global_step: int | None = None,
                  walltime: float | None = None, dataformats: str = "CHW") -> None:
        """Log one image: ``w.add_image("sample", hwc_uint8, step, dataformats="HWC")``.

        Args:
            tag: the image's name.
            img_tensor: uint8 pixels in [0, 255] or floats in [0, 1]; 1, 3 or 4 channels (numpy or torch).
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
            dataformats: the axes of ``img_tensor``: "CHW", "HWC", "HW"...
        """
        self._write(tag, global_step, walltime, _images, tag, img_tensor, dataformats, False)

    @names_errors
    def add_images(self, tag: str, img_tensor: object, global_step: int | None = None,
                   walltime: float | None = None, dataformats: str = "NCHW") -> None:
        """Log a batch of images as one summary; TensorBoard shows a slider over its samples.

            w.add_images("batch", nchw_float, step)

        Args:
            tag: the images' name.
            img_tensor: a batch of uint8 [0, 255] or float [0, 1] images (numpy or torch).
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
            dataformats: the axes of ``img_tensor``: "NCHW", "NHWC"...
        """
        self._write(tag, global_step, walltime, _images, tag, img_tensor, dataformats, True)

    @names_errors
    def add_figure(self, tag: str, figure: object, global_step: int | None = None, close: bool = True,
                   walltime: float | None = None) -> None:
        """Log a matplotlib figure (or a list of same-sized figures) rendered by Agg.

            fig, ax = plt.subplots(); ax.plot([1, 3, 2])
            w.add_figure("curve", fig, step)           # closes fig unless close=False

        Args:
            tag: the image's name.
            figure: a matplotlib Figure, or a list of figures of one size (one sample each).
            global_step: see *Common arguments* above.
            close: close the figure(s) once drawn.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import image

        self._write(tag, global_step, walltime, lambda: image.image_value(tag, image.figure_batch(figure, close)))

    @names_errors
    def add_image_with_boxes(self, tag: str, img_tensor: object, box_tensor: object, global_step: int | None = None,
                             walltime: float | None = None, rescale: float = 1, dataformats: str = "CHW",
                             labels: list[str] | None = None) -> None:
        """Log an image with boxes (and their labels) drawn on it in red.

            w.add_image_with_boxes("detections", img_chw, np.array([[10, 10, 40, 30]]), 0, labels=["cat"])

        Args:
            tag: the image's name.
            img_tensor: one image, uint8 [0, 255] or floats [0, 1], laid out as ``dataformats``.
            box_tensor: ``(boxes, 4)`` as (xmin, ymin, xmax, ymax) in pixels.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
            rescale: scale the drawn image by this factor.
            dataformats: the axes of ``img_tensor`` ("CHW", "HWC", "HW"...).
            labels: one label per box (a str for one box), or None.

        Needs Pillow (the ``media`` extra).
        """
        from tbwriter.writing.summaries import boxes, image

        def value() -> bytes:
            batch = image.to_batch(img_tensor, dataformats, batched=False)
            return boxes.boxed_value(tag, boxes.boxed_image(batch[0], box_tensor, labels, rescale))

        self._write(tag, global_step, walltime, value)

    @names_errors
    def add_audio(self, tag: str, snd_tensor: object, global_step: int | None = None, sample_rate: int = 44100,
                  walltime: float | None = None) -> None:
        """Log a sound clip as a 16-bit PCM WAV: ``w.add_audio("tone", np.sin(np.arange(44100) / 7), 0)``.

        Args:
            tag: the clip's name.
            snd_tensor: float samples in [-1, 1] shaped ``(samples,)``, ``(1, samples)`` (torch's
                shape) or ``(channels, samples)`` for several channels; or int16 samples as they are.
                Samples beyond [-1, 1] are clipped, never wrapped, with one warning.
            global_step: see *Common arguments* above.
            sample_rate: samples per second, a positive whole number.
            walltime: see *Common arguments* above.
        """
        self._write(tag, global_step, walltime, _audio, tag, snd_tensor, sample_rate)

    @names_errors
    def add_video(self, tag: str, vid_tensor: object, global_step: int | None = None, fps: float = 4,
                  walltime: float | None = None) -> None:
        """Log clips as one animated GIF: ``w.add_video("clip", np.random.rand(2, 16, 3, 64, 64), 0, fps=8)``.

        Args:
            tag: the clip's name.
            vid_tensor: ``(N, T, C, H, W)``: N clips of T frames, C of 1, 3 or 4 channels; uint8
                [0, 255] or floats [0, 1]. The N clips are tiled into one as torch tiles them.
            global_step: see *Common arguments* above.
            fps: frames per second.
            walltime: see *Common arguments* above.

        Needs Pillow (the ``media`` extra), not moviepy; torch writes nothing without moviepy.
        """
        self._write(tag, global_step, walltime, _video, tag, vid_tensor, fps)

    @names_errors
    def add_mesh(self, tag: str, vertices: object, colors: object = None, faces: object = None,
                 config_dict: object = None, global_step: int | None = None, walltime: float | None = None) -> None:
        """Log a 3-D mesh or point cloud for TensorBoard's MESH tab.

            w.add_mesh("cube", vertices=v, colors=c, faces=f, global_step=0)   # each (1, points, 3)

        Args:
            tag: the mesh's name (its parts go under ``<tag>_VERTEX``, ``_FACE``, ``_COLOR``).
            vertices: ``(batch, points, 3)`` coordinates.
            colors: ``(batch, points, 3)`` RGB values 0..255 per vertex, or None.
            faces: ``(batch, faces, 3)`` vertex indices per triangle, or None.
            config_dict: three.js settings (camera, lights, material) as a JSON-serialisable dict.
            global_step: see *Common arguments* above.
            walltime: see *Common arguments* above.
        """
        from tbwriter.writing.summaries import mesh

        self._write(tag, global_step, walltime, mesh.mesh_values, tag, vertices, colors, faces, config_dict)

    @names_errors
    def add_embedding(self, mat: object, metadata: object = None, label_img: object = None,
                      global_step: int | None = None, tag: str = "default", metadata_header: object = None) -> None:
        """Write an embedding for TensorBoard's projector: ``w.add_embedding(features, metadata=labels)``.

        Args:
            mat: ``(points, dimensions)`` numbers (numpy or torch).
            metadata: one label per point; with ``metadata_header``, one row of columns per point.
            label_img: ``(points, 1 or 3, height, width)`` images shown as the points' sprites,
                uint8 [0, 255] or floats [0, 1].
            global_step: see *Common arguments* above.
            tag: the embedding's name.
            metadata_header: the column names of a multi-column ``metadata``.

        Files go to ``<log_dir>/<step:05d>/<tag>/`` and ``<log_dir>/projector_config.pbtxt``, as torch
        puts them; the config keeps every embedding of the run, including earlier writers'.
        """
        from tbwriter.writing.projector import write_embedding

        check_tag(tag)
        write_embedding(self._run_dir, self.log_dir, tag, to_step(global_step), mat, metadata, label_img,
                        metadata_header, self._writes, self.storage_options)


# Summary values whose making warns or takes several steps; _write calls them once the tag, step and wall time are
# checked. A warning names the public call and comes before anything is written: a warnings filter set to "error"
# refuses the call cleanly. Images and videos still on a device come back as a FromDevice: their pixels are made
# uint8 there (the shape checked now, from the tensor's metadata) and copied once, later, by the background thread.


def _images(tag: str, img_tensor: object, dataformats: object, batched: bool) -> bytes | deferred.FromDevice:
    from tbwriter.writing.summaries import image, pixels

    batch = image.batch_of(img_tensor, dataformats, batched)
    if not isinstance(batch, pixels.DevicePixels):
        return image.image_value(tag, batch)
    return deferred.FromDevice(batch.packed, lambda host: image.image_value(tag, batch.unpack(host)),
                               call_name("add_images" if batched else "add_image", tag))


def _video(tag: str, vid_tensor: object, fps: object) -> bytes | deferred.FromDevice:
    from tbwriter.writing.summaries import pixels, video

    rate = video.check_fps(fps)
    clips = video.clips_of(vid_tensor)
    if not isinstance(clips, pixels.DevicePixels):
        return video.video_value(tag, video.tiled(clips), rate)
    video.need_pillow()  # now: the GIF is made later, where a missing Pillow could only be warned about
    return deferred.FromDevice(clips.packed, lambda host: video.video_value(tag, video.tiled(clips.unpack(host)), rate),
                               call_name("add_video", tag))


def _audio(tag: str, snd_tensor: object, sample_rate: object) -> bytes:
    from tbwriter.writing.summaries import audio

    rate = audio.check_sample_rate(sample_rate)
    pcm, clipped = audio.to_pcm16(snd_tensor)
    if clipped:
        warnings.warn(f"add_audio(tag={tag!r}): clipped {clipped} sample(s) beyond [-1, 1]", WriterWarning,
                      stacklevel=MAKER_STACKLEVEL)
    return audio.audio_value(tag, pcm, rate)
