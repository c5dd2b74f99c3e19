"""A small NVAE: Vahdat & Kautz, "NVAE: A Deep Hierarchical Variational Autoencoder",
NeurIPS 2020.

Taught in lesson 5.2.3 (``lessons/ch05_practice/06_nvae.ipynb``), which trains it
next to a single-level VAE of about the same number of parameters on binarised
16x16 digits and compares their test bounds. Scaled down to 16x16 digits, but
with the paper's four ingredients:

1. **Hierarchical latent groups** z_1, ..., z_L at increasing resolution (here
   one group at 4x4 and one at 8x8 per default), with the prior factorised
   top-down, p(z) = prod_l p(z_l | z_<l), Eq. (eq-nvae-prior) of the lesson;
2. **Top-down inference** sharing the decoder's path: the bottom-up encoder
   computes features once, and q(z_l | z_<l, x) combines them with the decoder's
   state, Eq. (eq-nvae-posterior);
3. **Residual cells** with squeeze-and-excitation in both towers, and the
   *residual normal* parameterisation: q is stored relative to the prior,
   mu_q = mu_p + delta_mu, sigma_q = sigma_p * delta_sigma (paper Sec. 3.2);
4. **KL warm-up and balancing**: the KL weight ramps from 0 to 1, and during the
   ramp each group's KL is re-weighted in proportion to its size and its
   current average KL (paper Appendix A), so that no group collapses early.

:func:`~genaug.train.vae.fit_nvae` trains the model (the step the lesson writes out, repeated), and
:meth:`~genaug.vae.nvae.NVAE.log_importance_weights` gives the importance weights of the
importance-weighted bound of Burda et al. (2016), a second, tighter measure.

Symbol map: ``prior_mean, prior_logvar`` -> p(z_l | z_<l); ``delta_mean,
delta_logvar`` -> the residual parameters of q; ``state`` -> the decoder's
top-down feature map h_l; ``features`` -> the encoder's bottom-up features.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from genaug._checks import check_float, check_images, check_int, check_probability, check_tensor
from genaug.vae.elbo import bernoulli_log_likelihood, gaussian_kl, gaussian_log_density

__all__ = ["NVAE", "NVAEConfig", "ResidualCell", "kl_balance_weights"]


@dataclass
class NVAEConfig:
    """Sizes of a small NVAE."""

    image_size: int = 16  # H = W of the images; the groups live at H/4, H/2
    channels: int = 1  # image channels C
    hidden_channels: int = 32  # width of both towers
    latent_channels: int = 4  # channels of each latent group z_l (spatial latents)
    cells_per_group: int = 1  # residual cells after each group, in each tower

    def __post_init__(self) -> None:
        check_int("image_size", self.image_size, choices=(8, 16, 32, 64))
        for name in ("channels", "hidden_channels", "latent_channels", "cells_per_group"):
            check_int(name, getattr(self, name), min=1)

    @property
    def group_sizes(self) -> tuple[int, int]:
        """Number of latent variables in each group, top (coarse) to bottom (fine)."""
        coarse, fine = self.image_size // 4, self.image_size // 2
        return (self.latent_channels * coarse**2, self.latent_channels * fine**2)


class ResidualCell(nn.Module):
    """x + SE(conv(SiLU(conv(SiLU(x))))): NVAE's residual cell, without batch norm.

    Args:
        channels: input and output channels.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
            nn.SiLU(),
            nn.Conv2d(channels, channels, 3, padding=1),
        )
        squeeze = max(channels // 4, 4)
        self.excite = nn.Sequential(  # squeeze-and-excitation: a gate per channel
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(channels, squeeze, 1),
            nn.ReLU(),
            nn.Conv2d(squeeze, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Apply the cell: (B, C, H, W) -> (B, C, H, W)."""
        residual = self.body(x)
        return x + 0.1 * residual * self.excite(residual)


def _cells(channels: int, count: int) -> nn.Sequential:
    return nn.Sequential(*[ResidualCell(channels) for _ in range(count)])


def kl_balance_weights(kl_per_group: Tensor, group_sizes: Tensor | tuple[int, ...]) -> Tensor:
    """NVAE's KL balancing coefficients gamma_l (paper Appendix A).

    gamma_l is proportional to s_l * E[KL_l], with s_l the group's relative size,
    normalised so the coefficients average to 1. Groups that already carry more
    information get a larger weight, which stops the optimiser from shutting a
    few groups off and dumping everything into the others during the warm-up.

    Args:
        kl_per_group: ``(L,)`` the batch-mean KL of each group (detached).
        group_sizes: ``(L,)`` number of latent variables of each group.

    Returns:
        ``(L,)`` coefficients, mean 1.
    """
    # no NaN scan: it runs every training step, where the loop's NaN guard reports
    check_tensor("kl_per_group", kl_per_group, floating=True, finite=False)
    kl = kl_per_group.detach().float()
    sizes = torch.as_tensor(group_sizes, dtype=torch.float32, device=kl.device)
    if kl.ndim != 1 or sizes.shape != kl.shape:
        raise ValueError(
            f"kl_per_group and group_sizes must both be (L,), got {tuple(kl.shape)} and "
            f"{tuple(sizes.shape)}"
        )
    raw = (sizes / sizes.sum()) * kl.clamp(min=1e-2)  # s_l * KL_l
    return raw / raw.mean()


class NVAE(nn.Module):
    """A two-group NVAE: bottom-up encoder, top-down decoder shared by prior and posterior.

    Args:
        config: an :class:`~genaug.vae.nvae.NVAEConfig`.
    """

    def __init__(self, config: NVAEConfig) -> None:
        super().__init__()
        self.config = config
        width, latent, cells = (
            config.hidden_channels,
            config.latent_channels,
            config.cells_per_group,
        )
        coarse = config.image_size // 4
        # bottom-up tower: x -> features at H/2 (fine) -> features at H/4 (coarse)
        self.stem = nn.Conv2d(config.channels, width, 3, padding=1)
        self.down_fine = nn.Sequential(
            nn.Conv2d(width, width, 4, stride=2, padding=1), _cells(width, cells)
        )
        self.down_coarse = nn.Sequential(
            nn.Conv2d(width, width, 4, stride=2, padding=1), _cells(width, cells)
        )
        # top-down tower: a learned start state h_0 at H/4
        self.start = nn.Parameter(torch.zeros(1, width, coarse, coarse))
        self.posterior = nn.ModuleList(  # q(z_l | z_<l, x) from [h_l, encoder features]
            [nn.Conv2d(2 * width, 2 * latent, 3, padding=1) for _ in range(2)]
        )
        self.prior = nn.ModuleList(  # p(z_l | z_<l) from h_l (group 0: from the start state)
            [nn.Conv2d(width, 2 * latent, 3, padding=1) for _ in range(2)]
        )
        self.merge = nn.ModuleList([nn.Conv2d(latent, width, 3, padding=1) for _ in range(2)])
        self.up_cells = nn.ModuleList([_cells(width, cells) for _ in range(2)])
        self.upsample = nn.ConvTranspose2d(width, width, 4, stride=2, padding=1)  # H/4 -> H/2
        self.head = nn.Sequential(
            nn.ConvTranspose2d(width, width, 4, stride=2, padding=1),  # H/2 -> H
            nn.SiLU(),
            nn.Conv2d(width, config.channels, 3, padding=1),
        )
        self._zero_posterior_and_prior()

    def _zero_posterior_and_prior(self) -> None:
        with torch.no_grad():  # start with q = p = N(0, I)
            self.start.zero_()
            for conv in [*self.posterior, *self.prior]:
                conv.weight.zero_()
                conv.bias.zero_()

    def reset_parameters(self) -> None:
        """Re-draw every layer's weights (from torch's global generator), then start at q = p = N(0, I).

        :func:`genaug.train.scaffold.reinitialise` calls this, so equal seeds give equal weights.
        """
        for layer in self.modules():
            if layer is not self and hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        self._zero_posterior_and_prior()

    def _check_images(self, images: Tensor) -> None:
        size, channels = self.config.image_size, self.config.channels
        if not isinstance(images, Tensor) or images.shape[1:] != (channels, size, size):
            got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
            raise ValueError(f"images must be (B, {channels}, {size}, {size}), got {got}")
        check_images("images", images)

    def _top_down(
        self,
        batch: int,
        features: list[Tensor] | None,
        generator: torch.Generator | None,
        temperature: float = 1.0,
        fixed: dict[int, Tensor] | None = None,
    ) -> tuple[Tensor, list[Tensor], list[Tensor], list[Tensor]]:
        """Run the decoder tower; with ``features`` sample from q, else from p.

        Returns the image logits, the sampled z_l, the per-group KL (B,) and the
        per-group log q(z_l | .) - log p(z_l | .) at the sampled z_l (B,) (both
        empty when sampling from the prior).
        """
        state = self.start.expand(batch, -1, -1, -1)  # h_0: (B, W, H/4, W/4)
        latents, kls, log_ratios = [], [], []
        for level in range(2):
            if level == 1:
                state = self.upsample(state)  # (B, W, H/2, W/2)
            # 1. prior p(z_l | z_<l), Eq. (eq-nvae-prior)
            prior_mean, prior_logvar = self.prior[level](state).chunk(2, dim=1)
            if features is not None:
                # 2. residual normal posterior, Eq. (eq-nvae-posterior): relative to the prior
                delta = self.posterior[level](torch.cat([state, features[level]], dim=1))
                delta_mean, delta_logvar = delta.chunk(2, dim=1)
                mean, logvar = prior_mean + delta_mean, prior_logvar + delta_logvar
                kls.append(gaussian_kl(mean, logvar, prior_mean, prior_logvar))  # (B,)
            else:
                mean, logvar = prior_mean, prior_logvar
            noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype).to(mean.device)
            z = mean + temperature * torch.exp(0.5 * logvar) * noise  # (B, latent, h, w)
            if fixed is not None and level in fixed:
                z = fixed[level].to(z)
            if features is not None:  # one-sample log q - log p, for importance weights
                log_ratios.append(
                    gaussian_log_density(z, mean, logvar)
                    - gaussian_log_density(z, prior_mean, prior_logvar)
                )
            latents.append(z)
            # 3. merge z_l into the state and refine: h_{l+1} = cells(h_l + conv(z_l))
            state = self.up_cells[level](state + self.merge[level](z))
        return self.head(state), latents, kls, log_ratios

    def _bottom_up(self, images: Tensor) -> list[Tensor]:
        """Encoder features, coarse first: [(B, W, H/4, W/4), (B, W, H/2, W/2)]."""
        fine = self.down_fine(self.stem(images))  # (B, W, H/2, W/2)
        coarse = self.down_coarse(fine)  # (B, W, H/4, W/4)
        return [coarse, fine]

    def loss(
        self,
        images: Tensor,
        *,
        kl_weight: float = 1.0,
        balance: bool = False,
        generator: torch.Generator | None = None,
    ) -> dict[str, Tensor]:
        """Negative ELBO with KL warm-up weight and optional KL balancing.

        Args:
            images: ``(B, C, H, W)`` images in [0, 1].
            kl_weight: the warm-up weight of the KL terms, in [0, 1].
            balance: re-weight the groups' KL with :func:`~genaug.vae.nvae.kl_balance_weights` (used
                during warm-up only, as in the paper).
            generator: source of the sampling noise.

        Returns:
            Batch means in nats per image: ``loss`` (minimise), ``reconstruction``,
            ``kl`` (all groups), ``neg_elbo`` (= reconstruction + kl), and
            ``kl_group0``, ``kl_group1``.
        """
        self._check_images(images)
        check_probability("kl_weight", kl_weight)
        # bottom-up pass: features at H/4 and H/2
        logits, _, kls, _ = self._top_down(len(images), self._bottom_up(images), generator)
        reconstruction = -bernoulli_log_likelihood(logits, images).mean()
        kl_groups = torch.stack([kl.mean() for kl in kls])  # (L,)
        weights = (
            kl_balance_weights(kl_groups, self.config.group_sizes)
            if balance
            else torch.ones_like(kl_groups)
        )
        kl = kl_groups.sum()
        return {
            "loss": reconstruction + kl_weight * (weights * kl_groups).sum(),
            "reconstruction": reconstruction,
            "kl": kl,
            "neg_elbo": reconstruction + kl,
            "kl_group0": kl_groups[0],
            "kl_group1": kl_groups[1],
        }

    @torch.no_grad()
    def sample(
        self,
        num_samples: int,
        *,
        labels: Tensor | None = None,
        generator: torch.Generator | None = None,
        temperature: float = 1.0,
        fixed: dict[int, Tensor] | None = None,
    ) -> Tensor:
        """Ancestral sampling from the top-down prior.

        Args:
            num_samples: number of images B.
            labels: must be None: the model is unconditional (the family contract's
                keyword, kept so that every generator is called alike).
            generator: source of the noise (drawn on the CPU).
            temperature: scale of the noise of every group.
            fixed: optional ``{level: z}`` to hold a group fixed (``(B, latent, h, w)``),
                e.g. to show what the lower group varies for a fixed top group.

        Returns:
            ``(B, C, H, W)`` pixel means in [0, 1].
        """
        check_int("num_samples", num_samples, min=1)
        check_float("temperature", temperature, min=0.0)
        if labels is not None:
            raise ValueError("this NVAE is unconditional: pass no labels")
        was_training = self.training
        self.eval()
        logits, _, _, _ = self._top_down(num_samples, None, generator, temperature, fixed)
        self.train(was_training)
        return torch.sigmoid(logits)

    @torch.no_grad()
    def prior_latents(self, n: int, *, generator: torch.Generator | None = None) -> list[Tensor]:
        """Draw the latent groups of ``n`` prior samples (to fix one of them in
        :meth:`~genaug.vae.nvae.NVAE.sample`).

        Args:
            n: number of samples.
            generator: source of the noise.

        Returns:
            ``[z_0, z_1]`` with shapes ``(n, latent, H/4, W/4)`` and ``(n, latent, H/2, W/2)``.
        """
        _, latents, _, _ = self._top_down(n, None, generator)
        return latents

    @torch.no_grad()
    def log_importance_weights(
        self, images: Tensor, num_samples: int, *, generator: torch.Generator | None = None
    ) -> Tensor:
        """log w_s = log p(x | z_s) + log p(z_s) - log q(z_s | x) for S posterior samples.

        ``logsumexp(log w, 0) - log S`` is the importance-weighted bound of Burda et
        al. (2016), Eq. (eq-nvae-iwae) of the lesson; its mean over s is the ELBO.

        Args:
            images: ``(B, C, H, W)`` images in [0, 1].
            num_samples: S, posterior samples per image (>= 1).
            generator: source of the sampling noise.

        Returns:
            ``(S, B)`` log importance weights in nats.
        """
        self._check_images(images)
        check_int("num_samples", num_samples, min=1)
        was_training = self.training
        self.eval()
        features = self._bottom_up(images)  # computed once, shared by the S samples
        weights = []
        for _ in range(num_samples):
            logits, _, _, log_ratios = self._top_down(len(images), features, generator)
            log_likelihood = bernoulli_log_likelihood(logits, images)  # (B,)
            weights.append(log_likelihood - torch.stack(log_ratios).sum(0))  # (B,)
        self.train(was_training)
        return torch.stack(weights)  # (S, B)
